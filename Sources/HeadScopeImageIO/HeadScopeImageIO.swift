// HeadScopeImageIO: see the module's files.

// HeadScopeCore: see the module's files.

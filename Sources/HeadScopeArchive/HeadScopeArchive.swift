// HeadScopeArchive: see the module's files.

// HeadScopeHDF5: see the module's files.

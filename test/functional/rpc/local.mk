# (empty until this directory has sources)

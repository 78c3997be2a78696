# Apps are added by their own fragments (app/<name>/local.mk).

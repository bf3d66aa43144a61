"""The outputs of ``formcheck analyze``: report dict and JSON schema, HTML page, CSV tables, plots."""

"""Retrieval: a query's windows against the stored segments (search), the library against itself (duplicates),
the stored class scores (actions), and the one temporal-alignment rule the first two share. Reads a
`Collection`; knows nothing of the faces."""

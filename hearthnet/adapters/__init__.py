"""Technology at the edge: storage, cryptography, analysis, files."""

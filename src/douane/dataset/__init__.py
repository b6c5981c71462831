"""Building and reading the corpora douane is measured on (benign downloads, known malware)."""

"""What goes out: one formatter per output format, all taking the same ScanResults."""

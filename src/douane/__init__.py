"""douane: static review of package uploads for malware, with evidence a reviewer can check."""

__version__ = "0.1.0"

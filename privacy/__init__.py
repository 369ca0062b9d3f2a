"""Who may see citizens' data: number masking, the read audit and the retention of personal data."""

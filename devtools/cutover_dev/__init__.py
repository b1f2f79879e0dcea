"""Development tools of the cutover: the synthetic legacy database, local servers, the benchmark."""

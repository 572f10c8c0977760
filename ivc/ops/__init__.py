"""Operations: running ivc on a Prefect server with PostgreSQL and several workers."""

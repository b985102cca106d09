"""Operations shared by the CLI, the API and batch jobs: load a pool from the store, run the pure scoring."""

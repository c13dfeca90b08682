"""State changes and orchestration. Services add and change rows; the caller commits once."""

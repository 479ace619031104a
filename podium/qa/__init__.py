"""Retrieval, evidence, answering and citation checking."""

"""Citizens' feedback: triage, identifiers, storage, answering, privacy, exports."""

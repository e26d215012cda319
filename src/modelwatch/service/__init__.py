"""The monitoring service: metadata store, service functions, scheduler and job runner."""

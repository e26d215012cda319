"""One module per monitoring type; each has a baseline job and a monitoring job."""

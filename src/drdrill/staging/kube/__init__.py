"""Kubernetes staging: the local cluster drdrill builds and starts (``cluster``) and its certificates (``pki``)."""

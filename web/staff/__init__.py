"""The staff console (collectors, supervisors, admins): see app.py."""

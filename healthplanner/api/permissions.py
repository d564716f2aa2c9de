"""Who may do what through the API.

Reading needs the model's ``view`` permission (NetBox's rule): read access is a
permission like any other. Writing needs add/change/delete as in the admin. Rules that
depend on the domain (a partner writes only its own interventions) live in the app.
"""
from rest_framework import permissions

__all__ = [
    "READ_METHODS",
    "ViewModelPermissions",
    "ReadModelPermissions",
    "ReadAndAddModelPermissions",
]


class ViewModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions where GET, HEAD and OPTIONS need ``view_<model>``."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


READ_METHODS = ("GET", "OPTIONS", "HEAD")


class ReadModelPermissions(ViewModelPermissions):
    """Read-only endpoints: any other method is a 405 for an authenticated user."""

    perms_map = {method: ViewModelPermissions.perms_map[method] for method in READ_METHODS}


class ReadAndAddModelPermissions(ViewModelPermissions):
    """Endpoints that read and create (uploads, plans): no update nor delete (405)."""

    perms_map = {method: ViewModelPermissions.perms_map[method] for method in (*READ_METHODS, "POST")}

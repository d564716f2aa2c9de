"""What the modeling app's models grant to the three roles (gathered by ``sync_roles``,
``healthplanner/roles.py``)."""
from healthplanner.roles import ANALYSTS, EDITORS, PARTNERS, model_permissions

__all__ = ["PARTNER_VIEW", "VIEW_ALL", "ROLE_PERMISSIONS"]

# The API's model outputs (issue 5): versions with their metrics, scores, plans and their
# lines, and what-if predictions (which need view_modelversion). Not task runs (internal
# logs and tracebacks).
PARTNER_VIEW = ["modelversion", "communityscore", "plan", "planitem"]

# Roles that view every model of this app.
VIEW_ALL = [EDITORS, ANALYSTS]
ROLE_PERMISSIONS = {
    EDITORS: [],
    # Train, score and plan with models (issue 4); create and edit plans.
    ANALYSTS: ["run_models", "add_plan", "change_plan"],
    # Partners run their own scenarios (issue 10): they create plans, which record their
    # organisation; they read their own and the staff's, never another partner's.
    PARTNERS: [*model_permissions(PARTNER_VIEW, ["view"]), "add_plan"],
}

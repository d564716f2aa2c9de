"""Messages the modeling app writes to the database: a plan line's reason and the task
runs' log lines. Each is rendered in the language active when it is written and shown in
the active language when read (``healthplanner.i18n.localize``; registered here, loaded
by ``ModelingConfig.ready``)."""
from django.utils.translation import gettext_noop

from healthplanner.i18n import stored_message

from .labels import design_name, method_label

__all__ = [
    "REASON", "LOG_ATTEMPT", "LOG_ATTEMPT_AGAIN", "LOG_FAILED", "LOG_CONSTRAINED", "LOG_PLAN_DONE", "LOG_FRAME",
    "LOG_FINAL", "LOG_ACTIVE", "LOG_CANDIDATE", "LOG_SCORED", "LOG_FOLD", "LOG_CV_SECONDS", "method_seconds",
]


def _method_seconds(text):
    """``keras 1.0, ridge_poverty 2.0`` with each method's label."""
    parts = []
    for part in text.split(", "):
        code, _sep, seconds = part.rpartition(" ")
        parts.append(f"{method_label(code)} {seconds}" if code else part)
    return ", ".join(parts)


def method_seconds(seconds: dict) -> str:
    """The stored form of the seconds each method took (codes, shown as labels)."""
    return ", ".join(f"{m} {s:.1f}" for m, s in seconds.items())


REASON = stored_message(
    gettext_noop("%(community)s: estimated %(pred).1f%% (80%%: %(lo).1f–%(hi).1f), poverty %(pov).0f%%; "
                 "%(per).2f cases averted per 1,000 PEN; funded in %(prob).0f%% of resampled predictions."),
    legacy=("%(community)s: predicted %(pred).1f%% (80%%: %(lo).1f–%(hi).1f), poverty %(pov).0f%%; "
            "%(per).2f cases averted per 1,000 PEN; funded in %(prob).0f%% of resampled predictions.",),
    numbers={"pred": 1, "lo": 1, "hi": 1, "pov": 0, "per": 2, "prob": 0},
)
LOG_ATTEMPT = stored_message(gettext_noop("attempt %(attempt)s in process %(pid)s"))
LOG_ATTEMPT_AGAIN = stored_message(
    gettext_noop("attempt %(attempt)s in process %(pid)s (the previous attempt stopped before finishing)"))
LOG_FAILED = stored_message(gettext_noop("failed: %(error)s"))
LOG_CONSTRAINED = stored_message(
    gettext_noop("constrained plan: selection probabilities from %(draws)s resampled predictions "
                 "(not %(requested)s)"))
LOG_PLAN_DONE = stored_message(
    gettext_noop("plan %(plan)s: %(lines)s lines, %(cost)s PEN of %(budget)s, %(cases).1f cases averted "
                 "(80%%: %(lo).1f–%(hi).1f)"),
    numbers={"lines": 0, "cost": 2, "budget": 2, "cases": 1, "lo": 1, "hi": 1})
LOG_FRAME = stored_message(
    gettext_noop("frame: %(communities)s communities, %(measured)s with %(target)s measured in %(year)s; "
                 "fingerprint %(fingerprint)s"))
LOG_FINAL = stored_message(
    gettext_noop("final ensemble: %(epochs)s epochs, residual σ %(tau).3f; saved %(path)s (%(seconds)s s)"))
LOG_ACTIVE = stored_message(gettext_noop("version %(version)s is now active (weighted MAE %(wmae)s)"),
                            numbers={"wmae": 3})
LOG_CANDIDATE = stored_message(
    gettext_noop("version %(version)s stays a candidate: weighted MAE %(wmae)s does not beat active version "
                 "%(active)s (%(active_wmae)s)"),
    numbers={"wmae": 3, "active_wmae": 3})
LOG_SCORED = stored_message(
    gettext_noop("scored %(n)s communities for %(year)s with version %(version)s and %(types)s intervention "
                 "types"))
LOG_FOLD = stored_message(
    gettext_noop("%(design)s fold %(fold)s/%(folds)s: test departments %(departments)s; the neural network "
                 "stopped after %(epochs)s epochs"),
    design=design_name)
LOG_CV_SECONDS = stored_message(gettext_noop("%(design)s, seconds per method: %(seconds)s"),
                                design=design_name, seconds=_method_seconds)

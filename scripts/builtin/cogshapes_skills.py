"""The skill a CogShapes subquestion tests, read from its template (the built-in model's accuracy
targets are per skill: shape, counting, left/right). No dependencies, so both the training script
and the accuracy check import it."""

SKILLS = ("shape", "count", "left/right", "left/right + color", "nearest color", "corners",
          "compare counts", "option letter")


def subquestion_skill(text):
    """Maps a subquestion of HeadScopePrepare's CogShapesQuestions to one of SKILLS."""
    t = text.lower()
    if t.startswith("what shape") or "main object" in t:
        return "shape"            # "What shape is the green object?", "What is the main object ...?"
    if "to the left of" in t or "to the right of" in t:
        # "How many objects are to the left of the red star?" vs "How many of the objects to the
        # left of the red star are blue?" (position and colour together); "to the right of" only
        # in the training script's synthetic questions
        return "left/right" if t.startswith("how many objects") else "left/right + color"
    if "corners" in t:
        return "corners"
    if t.startswith("how many"):
        return "count"            # "How many red objects are there?", "How many stars are there?"
    if "nearest" in t:
        return "nearest color"
    if "option" in t:
        return "option letter"
    return "compare counts"       # "Is the number of ... greater ...?", "So, are there more ...?"

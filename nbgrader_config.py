# The student's side of nbgrader, for JupyterLab served from this folder (`make lab`). nbgrader's Lab
# extension (the Assignments panel) reads nbgrader_config.py from the server's root folder and the Jupyter
# config folders, never from assignments/; so do `nbgrader list`, `fetch_assignment`, `submit` and
# `fetch_feedback` run here. The course (the instructor's side) stays assignments/nbgrader_config.py: the
# `coursekit` commands run nbgrader in assignments/, where this file is never read.
#
# The course id and the exchange are the course's, read from its config (one source of truth).
# Fetched assignments and their feedback go to student/, which git ignores but for its nbgrader_config.py:
# the Lab extension reads its config a second time from there, and that file loads this one.
# `coursekit doctor` checks what the Lab extension gets from here.
import os

from traitlets.config.loader import PyFileConfigLoader

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

REPO = os.path.dirname(os.path.abspath(__file__))
course = PyFileConfigLoader("nbgrader_config.py", path=os.path.join(REPO, "assignments")).load_config()

c.CourseDirectory.course_id = course.CourseDirectory.course_id
c.Exchange.root = course.Exchange.root
c.Exchange.assignment_dir = os.path.join(REPO, "student")

# Without the exchange folder the Assignments panel shows "Error fetching courses!". On a fresh clone
# (nothing released yet) make it, world-writable as `coursekit release` does.
if not os.path.isdir(c.Exchange.root):
    try:
        os.makedirs(c.Exchange.root)
        os.chmod(c.Exchange.root, 0o777)
    except OSError:
        pass  # `coursekit doctor` says that the panel cannot use it

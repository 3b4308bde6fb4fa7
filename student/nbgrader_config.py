# The folder of the student's fetched assignments and feedback (c.Exchange.assignment_dir of the
# nbgrader_config.py above). nbgrader's Lab extension reads its config a second time from here, so this
# file loads that one. Everything else in this folder is the student's work and git-ignored.
import os

load_subconfig(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nbgrader_config.py"))  # noqa: F821

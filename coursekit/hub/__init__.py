"""The course for a class: one JupyterHub, students as OS users, grading on submit.

    coursekit hub     setup.py: the roster's users, the exchange, the role configs, then JupyterHub
                      (config.py is its configuration; spawner.py starts each user's JupyterLab
                      inside the sandbox of coursekit/grading/isolation.py)
    coursekit serve   service.py: a hub-managed service that grades each new submission
                      (queue.py keeps what it has seen, so that nothing is lost or graded twice)

Where each part runs: setup.py in the instructor's shell (as root); config.py and spawner.py inside
the JupyterHub process; service.py and queue.py in the service's process (started by the hub).
"""

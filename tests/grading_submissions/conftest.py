"""The files in this folder are homework submissions for the grader's tests, many of them hostile.

pytest must never import or execute them (nbval would run the notebooks): only the
grader does, in its sandbox.
"""

collect_ignore_glob = ["*.ipynb", "hw*.py", "attack_*.py"]

"""Course-staff tooling: nothing here is needed to learn from the course.

- :mod:`~backprop_course.authoring.exercises`: generate ``exercises/`` from ``solutions/``
- :mod:`~backprop_course.authoring.execute`: re-execute notebooks so their stored outputs are real
- :mod:`~backprop_course.authoring.slides`: reveal.js slides from the lecture notebooks
- :mod:`~backprop_course.authoring.site`: a static course web site
- :mod:`~backprop_course.authoring.offline`: local MathJax/reveal.js for slides and site without internet
- :mod:`~backprop_course.authoring.release`: the student release (the course without solutions)
- :mod:`~backprop_course.authoring.home`: the course's repository address, in every place it appears

Each module adds its own ``backprop-course`` subcommand (see :mod:`backprop_course.cli`).
"""

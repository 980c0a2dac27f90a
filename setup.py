"""Build hook for the optional compiled fast path of the X12 engine.

``claimflow.x12._native`` is built when a C compiler is at hand. When it is not, the build
goes on without it (``optional=True``) and the pure-Python engine does all the work: the
default install never needs a compiler. See docs/x12.md ("The compiled fast path").
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "claimflow.x12._native",
            ["src/claimflow/x12/_native.c"],
            extra_compile_args=["-O2", "-std=gnu11"],
            optional=True,
        )
    ]
)

"""Build hook for claimflow's optional compiled parts.

- ``claimflow.x12._native``: the compiled fast path of the X12 engine (docs/x12.md, "The
  compiled fast path").
- ``claimflow.warehouse._lineage_hash``: a DuckDB extension (not a Python module) computing EMR
  records' lineage hashes on the CPU's SHA extensions, built against DuckDB's vendored C API
  headers (``third_party/duckdb``); ``claimflow.warehouse.native`` loads it.

Both are built when a C compiler is at hand. When it is not, the build goes on without them
(``optional=True``): the pure-Python X12 engine and DuckDB's own ``sha256`` do the work, with
the same results, and the default install never needs a compiler.
"""

from setuptools import Extension, setup

SHA = "src/claimflow/native"

setup(
    ext_modules=[
        Extension(
            "claimflow.x12._native",
            ["src/claimflow/x12/_native.c"],
            include_dirs=[SHA],
            depends=[f"{SHA}/sha256.h"],
            extra_compile_args=["-O2", "-std=gnu11"],
            optional=True,
        ),
        Extension(
            "claimflow.warehouse._lineage_hash",
            ["src/claimflow/warehouse/_lineage_hash.c"],
            include_dirs=[SHA, "third_party/duckdb/include"],
            depends=[f"{SHA}/sha256.h"],
            extra_compile_args=["-O2", "-std=gnu11", "-fvisibility=hidden"],
            optional=True,
        ),
    ]
)

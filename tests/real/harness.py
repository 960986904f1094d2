"""Build and reuse the real projects' environments and databases (pretalx, pretix).

Everything lives in a cache directory (``$TC_REAL_CACHE``, default ``.real-cache/`` in the repo),
keyed by what affects it, so a second run only copies SQLite files:

    venv-<project>-<key>/     the project from PyPI + tenant-console (editable) + its dependencies;
                              key: project pin, Python version, tenant-console's dependency list
    data-<project>-<key>/     the generated database; key: venv key + the generator's source
    empty-<project>-<key>/    a migrated, empty database (the target of imports); key: venv key

The venvs have tenant-console installed editable from the checkout that built them; commands are
run with ``PYTHONPATH=<this checkout>`` first, so any checkout (another worktree) tests its own code
with a shared cache. Builds take a lock and are renamed into place when complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BUILD_VERSION = "1"  # bump when the way environments are built changes


@dataclass(frozen=True)
class Project:
    name: str
    requirement: str
    extra: tuple[str, ...]
    settings: str
    dimension: str
    generator: str

    def instance_env(self, directory: Path) -> dict[str, str]:
        """The environment variables that point the project at the database in ``directory``."""
        if self.name == "pretalx":
            return {
                "PRETALX_DATA_DIR": str(directory),
                "PRETALX_FILESYSTEM_MEDIA": str(directory / "media"),
                "PRETALX_FILESYSTEM_STATIC": str(directory / "static"),
                "DJANGO_SETTINGS_MODULE": self.settings,
            }
        cfg = directory / "pretix.cfg"
        cfg.write_text(
            f"[pretix]\ndatadir={directory}\n[database]\nbackend=sqlite3\nname={directory / 'db.sqlite3'}\n"
            "[django]\nsecret=tc-real-not-a-secret\n"
        )
        return {"PRETIX_CONFIG_FILE": str(cfg), "DJANGO_SETTINGS_MODULE": self.settings}


PROJECTS = {
    "pretalx": Project("pretalx", "pretalx==2026.1.2", ("Faker", "freezegun"), "pretalx.settings", "event",
                       "pretalx_data.py"),
    "pretix": Project("pretix", "pretix==2026.8.0", (), "pretix.settings", "organizer", "pretix_data.py"),
}


def cache_dir() -> Path:
    path = Path(os.environ.get("TC_REAL_CACHE") or REPO / ".real-cache").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def find_python() -> str:
    """A Python for the project venvs (pretalx and pretix need 3.10+; 3.12 preferred)."""
    explicit = os.environ.get("TC_REAL_PYTHON")
    if explicit:
        return explicit
    candidates = ["python3.12"]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        candidates += sorted(str(p) for p in Path(root, "versions").glob("3.12*/bin/python3.12"))
    candidates += ["python3.11", sys.executable]
    for c in candidates:
        if shutil.which(c) or Path(c).is_file():
            ok = subprocess.run([c, "-c", "import sys; assert sys.version_info >= (3, 11)"], capture_output=True)
            if ok.returncode == 0:
                return c
    raise RuntimeError("no Python >= 3.11 found for the project venvs (set TC_REAL_PYTHON)")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def console_dependencies() -> list[str]:
    text = (REPO / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python 3.10: the whole file decides
        return [text]
    return list(tomllib.loads(text)["project"]["dependencies"])


def venv_key(project: Project, python: str) -> str:
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True,
                             check=True).stdout.strip()
    return _digest(BUILD_VERSION, project.requirement, *project.extra, version, *console_dependencies())


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    with open(cache_dir() / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class Timing:
    steps: list[tuple[str, float, bool]] = field(default_factory=list)  # (what, seconds, built)

    def add(self, what: str, seconds: float, built: bool) -> None:
        if not any(step[0] == what for step in self.steps):
            self.steps.append((what, seconds, built))

    def report(self) -> str:
        return "\n".join(f"  {what:<34} {'built' if built else 'reused':<6} {secs:7.1f} s"
                         for what, secs, built in self.steps)


TIMING = Timing()


def _run(cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    if proc.returncode:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); log {log}:\n{tail}")


def ensure_venv(project: Project) -> Path:
    python = find_python()
    key = venv_key(project, python)
    final = cache_dir() / f"venv-{project.name}-{key}"
    start = time.monotonic()
    with locked(f"venv-{project.name}"):
        if (final / ".complete").exists():
            TIMING.add(f"{project.name} venv", time.monotonic() - start, False)
            return final
        shutil.rmtree(final, ignore_errors=True)
        log = cache_dir() / f"venv-{project.name}-{key}.log"
        log.write_text("")
        # venvs hard-code their path, so build in place; .complete marks a finished build.
        _run([python, "-m", "venv", str(final)], log)
        pip = [str(final / "bin" / "python"), "-m", "pip", "install", "-q"]
        _run([*pip, project.requirement, *project.extra], log)
        _run([*pip, "-e", str(REPO)], log)
        (final / ".complete").write_text(json.dumps({"requirement": project.requirement, "python": python}))
    TIMING.add(f"{project.name} venv", time.monotonic() - start, True)
    return final


def project_env(project: Project, directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRETALX_", "PRETIX_", "DJANGO_"))}
    env.update(project.instance_env(directory))
    env["PYTHONPATH"] = str(REPO)
    env["XDG_STATE_HOME"] = str(directory / "state")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def ensure_database(project: Project, venv: Path, kind: str) -> Path:
    """``kind`` 'data' (generated) or 'empty' (migrated only): the cached database directory."""
    generator = (HERE / project.generator).read_text()
    vkey = venv.name.rsplit("-", 1)[1]
    key = _digest(vkey, generator) if kind == "data" else _digest(vkey, BUILD_VERSION)
    final = cache_dir() / f"{kind}-{project.name}-{key}"
    empty = ensure_database(project, venv, "empty") if kind == "data" else None
    start = time.monotonic()
    with locked(f"{kind}-{project.name}"):
        if (final / ".complete").exists():
            TIMING.add(f"{project.name} {kind} database", time.monotonic() - start, False)
            return final
        tmp = cache_dir() / f".{kind}-{project.name}-{key}.building"
        shutil.rmtree(tmp, ignore_errors=True)
        if kind == "data":  # start from the migrated database (pretix migrates for ~2 minutes)
            copy_instance(empty, tmp)
        else:
            tmp.mkdir()
        args = [str(venv / "bin" / "python"), str(HERE / project.generator)]
        if kind == "empty":
            args.append("--empty")
        _run(args, tmp / "build.log", env=project_env(project, tmp), cwd=tmp)
        (tmp / ".complete").write_text(str(time.time()))
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        project.instance_env(final)  # pretix.cfg names absolute paths: point it at the final place
    TIMING.add(f"{project.name} {kind} database", time.monotonic() - start, True)
    return final


def copy_instance(source: Path, dest: Path) -> Path:
    """A private copy of a cached database directory (tests write to their copies only)."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.log", "logs", "state", ".complete", "oracle-*"))
    return dest


@dataclass
class Instance:
    """One project database that commands can be run against."""

    project: Project
    venv: Path
    directory: Path

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def env(self) -> dict[str, str]:
        return project_env(self.project, self.directory)

    def run(self, *args: str, timeout: float = 600, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.python, *args], capture_output=True, text=True, env=self.env(),
                              cwd=self.directory, timeout=timeout, input=input)

    def console(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``tenant-console --settings <project settings> ARGS`` in the project's venv."""
        return self.run("-m", "tenant_console", "--settings", self.project.settings, *args, timeout=timeout)

    def oracle(self, *args: str) -> object:
        out = self.directory / f"oracle-{_digest(*args)}.json"
        proc = self.run(str(HERE / "oracle.py"), *args, "-o", str(out))
        if proc.returncode:
            raise RuntimeError(f"oracle {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
        return json.loads(out.read_text())

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("-m", self.project.name, *args)


def build(names: list[str]) -> dict[str, tuple[Path, Path, Path]]:
    out = {}
    for name in names:
        project = PROJECTS[name]
        venv = ensure_venv(project)
        empty = ensure_database(project, venv, "empty")
        out[name] = (venv, ensure_database(project, venv, "data"), empty)
    return out

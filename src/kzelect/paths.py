"""Where the project's files are: the one module of path constants."""

from pathlib import Path


def _root() -> Path:
    here = Path(__file__).resolve().parents[2]
    return here if (here / "data" / "records").is_dir() else Path.cwd()


ROOT = _root()
DATA = ROOT / "data"
RECORDS = DATA / "records"
SOURCE_TEXTS = DATA / "sources"
CHECKSUMS = SOURCE_TEXTS / "SHA256SUMS"
PUBLISHED_URIS = DATA / "published-uris.txt"
DEPRECATED = DATA / "deprecated.yaml"
ONTOLOGY = ROOT / "ontology" / "kzelect.ttl"
SHAPES = ROOT / "shapes" / "kzelect.shapes.ttl"
CHECKS = ROOT / "shapes" / "checks"
QUERIES = Path(__file__).resolve().parent / "queries"
DEFAULT_OUT = Path("dist")


def relative(path: Path) -> str:
    """A path as shown to users: relative to the project root where possible."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)

"""Dense encoders behind one protocol; ``create_encoder`` picks the backend from a spec string."""

from app.encoders.base import Encoder
from app.encoders.factory import create_encoder

__all__ = ["Encoder", "create_encoder"]

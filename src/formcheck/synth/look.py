"""Colours of the synthetic scene (RGB 0-255) and the sensor noise."""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    """Clothing, skin, room colours and camera noise (Gaussian sigma in 8-bit grey levels)."""

    skin: RGB = (214, 163, 130)
    hair: RGB = (52, 36, 28)
    shirt: RGB = (38, 84, 160)
    shorts: RGB = (40, 40, 46)
    socks: RGB = (235, 235, 235)
    shoes: RGB = (70, 70, 80)
    soles: RGB = (240, 240, 240)
    block: RGB = (150, 112, 70)
    wall: RGB = (206, 200, 190)
    floor: RGB = (150, 118, 86)
    baseboard: RGB = (235, 235, 230)
    noise: float = 0.0

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if name == "noise":
                if not 0 <= value <= 50:
                    raise ValueError(f"noise: expected 0 to 50 grey levels, got {value}")
            elif len(value) != 3 or not all(0 <= c <= 255 for c in value):
                raise ValueError(f"{name}: expected an RGB triple of 0-255, got {value}")


def parse_rgb(text: str) -> RGB:
    """``"#RRGGBB"`` or ``"R,G,B"`` -> RGB triple."""
    t = text.strip()
    try:
        if t.startswith("#") and len(t) == 7:
            return int(t[1:3], 16), int(t[3:5], 16), int(t[5:7], 16)
        r, g, b = (int(c) for c in t.split(","))
    except ValueError:
        raise ValueError(f"colour: expected '#RRGGBB' or 'R,G,B', got {text!r}") from None
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise ValueError(f"colour: expected components 0-255, got {text!r}")
    return r, g, b


#: A few outfits, skin tones and rooms, so that benchmarks do not rest on one look.
VARIANTS: tuple[Look, ...] = (
    Look(),
    Look(
        skin=(141, 96, 72),
        hair=(25, 20, 18),
        shirt=(176, 44, 44),
        shorts=(92, 92, 98),
        socks=(40, 40, 40),
        shoes=(230, 230, 230),
        soles=(70, 70, 70),
        wall=(182, 196, 206),
        floor=(128, 126, 128),
    ),
    Look(
        skin=(236, 196, 166),
        hair=(150, 108, 60),
        shirt=(232, 232, 226),
        shorts=(34, 44, 86),
        shoes=(196, 58, 58),
        wall=(228, 222, 206),
        floor=(176, 140, 98),
    ),
    Look(
        skin=(98, 64, 46),
        hair=(16, 12, 10),
        shirt=(36, 36, 40),
        shorts=(36, 36, 40),
        socks=(200, 200, 200),
        wall=(126, 130, 136),
        floor=(94, 84, 74),
        block=(60, 60, 64),
    ),
)

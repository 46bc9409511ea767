"""History of generated images for the discriminator (Shrivastava et al. 2017, sec. 2.3; used
by CycleGAN, Zhu et al. 2017, sec. 4 "Training details": a buffer of the 50 latest images).

Feeding the discriminator a mix of the newest fakes and older ones damps oscillation: the
generator cannot win by moving to a spot the discriminator has just forgotten.
"""
from __future__ import annotations

import torch


class ImagePool:
    """A buffer of up to ``size`` generated images, (C, H, W) each.

    :meth:`query` takes a batch of new fakes and returns a batch of the same shape: while the
    buffer fills up, the new images themselves (and they are stored); once full, each returned
    image is, with probability 1/2, the new one, and otherwise a random stored image that the
    new one replaces. ``size = 0`` turns the pool off. All randomness comes from the
    ``generator`` passed in, so a run that checkpoints that generator and :meth:`state_dict`
    replays exactly.
    """

    def __init__(self, size: int = 50) -> None:
        if size < 0:
            raise ValueError(f"ImagePool size must be >= 0, got {size}")
        self.size = size
        self.images: list[torch.Tensor] = []

    def __len__(self) -> int:
        return len(self.images)

    @torch.no_grad()
    def query(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """(N, C, H, W) new fakes -> (N, C, H, W) detached images for the discriminator."""
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for img in images:
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif torch.rand((), generator=generator).item() < 0.5:
                i = int(torch.randint(0, self.size, (), generator=generator).item())
                out.append(self.images[i].clone())
                self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Tensors only (safetensors-friendly): ``size`` () int64 and ``images`` (n, C, H, W)."""
        images = torch.stack(self.images).cpu() if self.images else torch.zeros(0)
        return {"size": torch.tensor(self.size), "images": images}

    def load_state_dict(self, state: dict[str, torch.Tensor], device: torch.device | str | None = None) -> None:
        size = int(state["size"])
        stored = state["images"]
        if stored.numel() and len(stored) > size:
            raise ValueError(f"ImagePool state holds {len(stored)} images for a pool of size {size}")
        self.size = size
        self.images = [img.clone().to(device or img.device) for img in stored] if stored.numel() else []

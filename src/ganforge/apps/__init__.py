"""Applications built on trained models (image-to-image translation, upscaling, inpainting, ...)."""

"""GAN families: which nets, which losses, which update phases."""

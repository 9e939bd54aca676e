"""Container networking on the host: Linux bridges and veth pairs (iproute2), NAT rules
for published ports (nftables), address and port allocation, and the ``-p`` syntax.
See docs/networking.md for why these tools and how the pieces fit."""

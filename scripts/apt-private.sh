# Sourced by scripts/lavapipe.sh and scripts/onednn3.sh: apt-get with its own sources, lists and cache
# in a temporary folder, so packages of another Debian release can be fetched (downloaded, never
# installed) without touching the system's sources or packages.
#   apt_private_init SUITE [deb-src]   makes the folder ($APT_PRIVATE) with a sources.list for SUITE
#   apt_private ARGS...                apt-get with that configuration (update, download, source …)
apt_private_init() {
  APT_PRIVATE=$(mktemp -d)
  mkdir -p "$APT_PRIVATE/lists/partial" "$APT_PRIVATE/cache/archives/partial"
  echo "deb http://deb.debian.org/debian $1 main" > "$APT_PRIVATE/sources.list"
  [ "${2:-}" != deb-src ] || echo "deb-src http://deb.debian.org/debian $1 main" >> "$APT_PRIVATE/sources.list"
}
apt_private() {
  local opts=(-o "Dir::Etc::SourceList=$APT_PRIVATE/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$APT_PRIVATE/lists" -o "Dir::Cache=$APT_PRIVATE/cache")
  # As root apt downloads as user _apt, who cannot write into our temporary folder.
  [ "$(id -u)" -ne 0 ] || opts+=(-o APT::Sandbox::User=root)
  apt-get "${opts[@]}" "$@"
}

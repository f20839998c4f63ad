#!/usr/bin/env bash
# Builds WebFarm's artifacts (docs/packaging.md):
#   webfarm-VERSION-RID.tar.gz   the published program for each runtime (default: linux-x64 and linux-arm64)
#   webfarm_VERSION_ARCH.deb     the Debian package: /usr/bin/webfarm, /etc/webfarm, /var/lib/webfarm, systemd units
#   tool/webfarm.VERSION.nupkg   the `dotnet tool` package
#
# build/package.sh [--out DIR] [--rid RID]... [--framework-dependent] [--ready-to-run] [--aot] [--no-deb] [--no-tool]
#   --out DIR              where the artifacts go (default: artifacts/package)
#   --rid RID              linux-x64 or linux-arm64; repeatable (default: both)
#   --framework-dependent  publish for an installed ASP.NET Core 10 runtime (the .deb then depends on it) instead of
#                          a self-contained single file: one compile shared with the tool package, no runtime to
#                          bundle (the tests use it); this machine's runtime only
#   --ready-to-run         precompile (ReadyToRun) the single file: faster start, larger file (docs/benchmarks.md)
#   --aot                  Native AOT instead of the single file: no JIT, half the idle memory, every role; the artefact
#                          recommended for production (docs/packaging.md). This machine's runtime only; needs gcc or
#                          clang. The script smoke-tests the binary it built (build/aot-smoke.sh: balancer, state,
#                          controller, `up`)
#   --no-deb, --no-tool    skip the Debian package or the tool package
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/artifacts/package"
rids=()
framework_dependent=0
ready_to_run=false
aot=0
deb=1
tool=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --rid)
      case "$2" in linux-x64|linux-arm64) rids+=("$2") ;; *) echo "package.sh: --rid '$2' is not linux-x64 or linux-arm64" >&2; exit 2 ;; esac
      shift 2 ;;
    --framework-dependent) framework_dependent=1; shift ;;
    --ready-to-run) ready_to_run=true; shift ;;
    --aot) aot=1; shift ;;
    --no-deb) deb=0; shift ;;
    --no-tool) tool=0; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$aot" = 1 ]; then
  [ "$framework_dependent" = 0 ] || { echo "package.sh: --aot and --framework-dependent exclude each other" >&2; exit 2; }
  command -v clang >/dev/null || command -v gcc >/dev/null || { echo "package.sh: --aot needs a C toolchain to link: apt-get install clang (or gcc)" >&2; exit 2; }
fi
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64 linux-arm64)

project="$repo/src/WebFarm/WebFarm.csproj"
version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$project")"
commit="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
mkdir -p "$out"
# Its own intermediate and output folders (--artifacts-path): a package build never touches, or races with, the
# bin/obj folders of a build or test run in the same checkout.
common=(-c Release "-p:SourceRevisionId=$commit" --artifacts-path "$out/build")

host_rid() { case "$(uname -m)" in x86_64) echo linux-x64 ;; aarch64) echo linux-arm64 ;; *) uname -m ;; esac; }
deb_arch() { case "$1" in linux-x64) echo amd64 ;; linux-arm64) echo arm64 ;; esac; }

build_deb() {
  local rid="$1" published="$2" arch stage size depends
  arch="$(deb_arch "$rid")"
  stage="$out/deb-$rid"
  rm -rf "$stage"
  mkdir -p "$stage/DEBIAN" "$stage/usr/lib/webfarm" "$stage/usr/bin" "$stage/etc/webfarm" \
           "$stage/lib/systemd/system" "$stage/var/lib/webfarm" "$stage/usr/share/doc/webfarm"
  cp -a "$published/." "$stage/usr/lib/webfarm/"
  rm -f "$stage"/usr/lib/webfarm/*.pdb
  # Files as Debian wants them whatever the build left: 0644, the program (an apphost or the single file) 0755.
  find "$stage/usr/lib/webfarm" -type f -exec chmod 0644 {} +
  find "$stage/usr/lib/webfarm" -type d -exec chmod 0755 {} +
  chmod 0755 "$stage/usr/lib/webfarm/webfarm"
  # The program stays beside its native libraries (SQLite); /usr/bin has a relative link, so the package also
  # works extracted into another root.
  ln -s ../lib/webfarm/webfarm "$stage/usr/bin/webfarm"
  install -m 0644 "$repo"/build/etc/balancer.json "$stage/etc/webfarm/"
  install -m 0640 "$repo"/build/etc/*.env "$stage/etc/webfarm/"
  install -m 0644 "$repo"/build/systemd/*.service "$stage/lib/systemd/system/"
  install -m 0644 "$repo/docs/packaging.md" "$repo/docs/cli.md" "$stage/usr/share/doc/webfarm/"
  install -m 0644 "$repo/build/debian/conffiles" "$stage/DEBIAN/"
  install -m 0755 "$repo"/build/debian/{postinst,prerm,postrm} "$stage/DEBIAN/"
  if [ "$framework_dependent" = 1 ]; then
    depends="aspnetcore-runtime-10.0, passwd"
  else
    depends="libc6, libgcc-s1, libstdc++6, zlib1g, passwd"
  fi
  size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$size/" \
      "$repo/build/debian/control.in" > "$stage/DEBIAN/control"
  dpkg-deb --root-owner-group --build "$stage" "$out/webfarm_${version}_${arch}.deb" >/dev/null
  rm -rf "$stage"
  echo "package.sh: $out/webfarm_${version}_${arch}.deb"
}

if [ "$tool" = 1 ]; then
  dotnet pack "$project" "${common[@]}" -o "$out/tool"
  echo "package.sh: $out/tool/webfarm.$version.nupkg (dotnet tool install --global webfarm --add-source $out/tool)"
fi

for rid in "${rids[@]}"; do
  published="$out/publish-$rid"
  rm -rf "$published"
  if [ "$framework_dependent" = 1 ]; then
    # The portable build (the tool package's, when it was just made: no second compile), with an apphost for this
    # machine, so only this machine's runtime can be packaged this way.
    if [ "$rid" != "$(host_rid)" ]; then
      echo "package.sh: --framework-dependent packages this machine's runtime ($(host_rid)) only, not $rid" >&2
      exit 2
    fi
    no_build=()
    [ "$tool" = 0 ] || no_build=(--no-build)
    dotnet publish "$project" "${common[@]}" "${no_build[@]}" -p:UseAppHost=true -o "$published"
  elif [ "$aot" = 1 ]; then
    # Native AOT links with this machine's toolchain and libraries: another architecture needs its own build machine.
    if [ "$rid" != "$(host_rid)" ]; then
      echo "package.sh: --aot builds this machine's runtime ($(host_rid)) only, not $rid" >&2
      exit 2
    fi
    # Warnings stay errors: a trim or AOT warning (reflection the compiler cannot see) fails the build.
    dotnet publish "$project" "${common[@]}" -r "$rid" -p:PublishAot=true -o "$published"
    rm -f "$published"/*.dbg
    "$repo/build/aot-smoke.sh" "$published/webfarm"
  else
    dotnet publish "$project" "${common[@]}" -r "$rid" --self-contained true -p:PublishSingleFile=true \
      -p:PublishReadyToRun="$ready_to_run" -o "$published"
  fi
  suffix=""
  [ "$aot" = 0 ] || suffix="-aot"
  tar -czf "$out/webfarm-$version-$rid$suffix.tar.gz" -C "$published" --exclude='*.pdb' .
  echo "package.sh: $out/webfarm-$version-$rid$suffix.tar.gz"
  [ "$deb" = 0 ] || build_deb "$rid" "$published"
done

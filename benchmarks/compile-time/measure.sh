#!/usr/bin/env bash
# Compile time added by 30 layer declarations: a console app built like samples/Quickstart, once with the 30 layers of
# Layers30.cs and once without them, rebuilt in alternating rounds. See README.md next to this script.
#
#   benchmarks/compile-time/measure.sh [REPO_ROOT] [ROUNDS]
#
# REPO_ROOT defaults to the checkout holding this script; ROUNDS (default 5, at least 3) timed rebuilds per variant.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)
rounds=${2:-5}
[ "$rounds" -ge 3 ] || { echo "ROUNDS must be at least 3" >&2; exit 2; }
[ -f "$root/runtime/AttentionGen/AttentionGen.csproj" ] || { echo "$root is not an AttentionGen checkout" >&2; exit 2; }

# Measure a copy: the checkout under test stays untouched (no bin/obj), and a read-only checkout works too.
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
copy=$work/repo
mkdir -p "$copy"
( cd "$root" && tar --exclude=bin --exclude=obj -cf - runtime generator \
    $(ls -d Directory.Build.props Directory.Packages.props global.json .editorconfig 2>/dev/null) ) | tar -C "$copy" -xf -

# The SDK is chosen by the global.json around the working directory: the measured checkout's own.
cd "$copy"

# Two apps side by side in the copy, where samples/Quickstart would sit, so the repo's props apply to them as well.
make_app() {
  local dir=$copy/samples/$1
  mkdir -p "$dir"
  cat > "$dir/$1.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <IsPackable>false</IsPackable>
    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="..\..\runtime\AttentionGen\AttentionGen.csproj" />
    <ProjectReference Include="..\..\generator\AttentionGen.Generator\AttentionGen.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
XML
  printf 'System.Console.WriteLine("compile-time probe");\n' > "$dir/Program.cs"
}
make_app With30
make_app Without
cp "$here/Layers30.cs" "$copy/samples/With30/Layers.cs"
printf 'namespace CompileTime;\n' > "$copy/samples/Without/Layers.cs"

# No lingering MSBuild nodes after the script; the compiler server stays on (as in everyday builds), so the timed
# rebuilds measure compilation and generation, not starting and JIT-compiling the compiler.
build_args=(-c Release -nodeReuse:false -v:q -nologo -clp:PerformanceSummary)

echo "Warm-up builds of $root (restore, runtime, generator, both apps) ..." >&2
for app in With30 Without; do
  dotnet build "$copy/samples/$app/$app.csproj" "${build_args[@]}" > "$work/warmup-$app.log" 2>&1 \
    || { cat "$work/warmup-$app.log" >&2; exit 1; }
done

# One rebuild: only the app's CoreCompile is out of date, and the generator runs from scratch inside it. In "server"
# mode the warm compiler server compiles (the everyday case; prints wall seconds and MSBuild's Csc task seconds). In
# "process" mode the compiler runs as a child process, so its CPU seconds (user + sys) can be counted: on a shared,
# loaded machine they move far less than wall time does.
rebuild() {
  local app=$1 mode=$2 log=$work/rebuild.log extra=() TIMEFORMAT='%R %U %S'
  [ "$mode" = process ] && extra=(-p:UseSharedCompilation=false)
  touch "$copy/samples/$app/Layers.cs"
  { time dotnet build "$copy/samples/$app/$app.csproj" --no-restore --no-dependencies "${build_args[@]}" "${extra[@]}" \
      > "$log" 2>&1 || { cat "$log" >&2; exit 1; }; } 2> "$work/time"
  read -r wall user sys < "$work/time"
  awk -v wall="$wall" -v cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" '
    /Task Performance Summary/ { tasks = 1 }
    tasks && $3 == "Csc" { csc = $1 / 1000 }
    END { if (csc == "") { print "no Csc task time in the build output" > "/dev/stderr"; exit 1 }
          printf "%.3f %.3f %.3f\n", wall, csc, cpu }' "$log"
}

# Alternate the variants so a load burst on a shared machine hits both, and judge the per-round differences.
: > "$work/rounds"
for ((r = 1; r <= rounds; r++)); do
  read -r w30 c30 _ < <(rebuild With30 server)
  read -r w0 c0 _ < <(rebuild Without server)
  read -r _ _ p30 < <(rebuild With30 process)
  read -r _ _ p0 < <(rebuild Without process)
  echo "$w30 $w0 $c30 $c0 $p30 $p0" >> "$work/rounds"
  printf 'round %d of %d: with 30 / without: wall %.2f / %.2f s, Csc %.2f / %.2f s, own-process CPU %.2f / %.2f s\n' \
    "$r" "$rounds" "$w30" "$w0" "$c30" "$c0" "$p30" "$p0" >&2
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
fastest() { sort -g | head -n 1; }
column() { awk -v c="$1" '{ print $c }' "$work/rounds" | "$2"; }
difference() { awk -v a="$1" -v b="$2" '{ printf "%.3f\n", $a - $b }' "$work/rounds" | median; }
row() { printf '  %-36s %8.2f %8.2f %8.2f' "$1" "$(column "$2" "$4")" "$(column "$3" "$4")" "$5"; }

generated=$copy/samples/With30/obj/Release/net10.0/generated
files=$(find "$generated" -name '*.cs' | wc -l)
lines=$(find "$generated" -name '*.cs' -exec cat {} + | wc -l)
bytes=$(find "$generated" -name '*.cs' -exec cat {} + | wc -c)
assembly_with=$(stat -c %s "$copy/samples/With30/obj/Release/net10.0/With30.dll")
assembly_without=$(stat -c %s "$copy/samples/Without/obj/Release/net10.0/Without.dll")

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
dirty=$(git -C "$root" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
cat <<REPORT

Compile time of 30 declarations: $root at $commit$dirty
  $(dotnet --version) SDK, $(nproc) cores, $rounds alternating rounds, Release; seconds
                                         with 30  without    added
$(row "wall, warm compiler server (median)" 1 2 median "$(difference 1 2)")
$(row "Csc task, warm server (median)" 3 4 median "$(difference 3 4)")
$(row "Csc task, warm server (fastest)" 3 4 fastest "$(awk -v a="$(column 3 fastest)" -v b="$(column 4 fastest)" 'BEGIN { print a - b }')")
$(row "CPU, own compiler process (median)" 5 6 median "$(difference 5 6)")
  generated sources: $files files, $lines lines, $bytes bytes
  app assembly: $assembly_with bytes with the layers, $assembly_without without
REPORT

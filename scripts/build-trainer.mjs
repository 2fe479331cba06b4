#!/usr/bin/env node
// Builds native/trainer (squill-trainer) from the llama.cpp source node-llama-cpp ships, with Squill's patches.
// Cached by llama.cpp commit + patch hash + options. From `npm install` (--from-install) a missing toolchain is a
// message, not a failure: training then reports itself unavailable with the same message.
// --server also builds llama.cpp's llama-server in the same build folder (ggml/libllama objects are shared), for
// remote-model tests and as a local OpenAI-compatible endpoint; its status is in .build/server-status.json.
// --generic (or SQUILL_TRAINER_GENERIC=1, which `npm install` passes through to this script) builds ggml for a
// baseline CPU instead of this one (GGML_NATIVE=OFF: on x86-64 SSE4.2/AVX/AVX2/FMA/F16C/BMI2, no AVX-512 or AMX;
// on arm64 the compiler's default target), in its own cmake folder (cmake-<variant>-generic), so the native and
// the generic engine live side by side and the last one built is the one status.json names. It is for a binary
// that runs on any x86-64-v3 machine and for checking that results do not depend on the CPU's float paths;
// SQUILL_TRAINER=<path to a squill-trainer> picks either one for a single run without rebuilding.
// --tools also builds llama.cpp's llama-batched-bench there (bench/rollouts compares generate with it, same tree).
// --gpu cuda compiles for the GPUs of this machine (CMAKE_CUDA_ARCHITECTURES=native, ggml's choice under
// GGML_NATIVE): on a machine without one (a build host, CI) give the architectures with --cuda-arch (or
// SQUILL_CUDA_ARCHS), e.g. --cuda-arch 90 for H100/H200, 89 for RTX 4000, 86 for RTX 3000, 80 for A100, or a
// semicolon list; one architecture also compiles ggml-cuda's many kernels several times faster than ggml's list.
//   node scripts/build-trainer.mjs [--gpu cuda|vulkan|metal] [--cuda-arch 90] [--generic] [--server] [--tools] [--from-install] [--force]
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const trainerDir = path.join(root, 'native', 'trainer');
const buildRoot = path.join(trainerDir, '.build');
const args = process.argv.slice(2);
const fromInstall = args.includes('--from-install');
const force = args.includes('--force');
const withServer = args.includes('--server');
const gpuIndex = args.indexOf('--gpu');
const gpu = gpuIndex >= 0 ? args[gpuIndex + 1] : null;
const generic = args.includes('--generic') || ['1', 'true', 'on', 'yes'].includes(String(process.env.SQUILL_TRAINER_GENERIC ?? '').toLowerCase());
if (gpu !== null && !['cuda', 'vulkan', 'metal'].includes(gpu)) fail(`--gpu takes cuda, vulkan or metal, not ${gpu}`, 2);
const cudaArchIndex = args.indexOf('--cuda-arch');
const cudaArch = cudaArchIndex >= 0 ? args[cudaArchIndex + 1] : process.env.SQUILL_CUDA_ARCHS || null;
if (cudaArch !== null && gpu !== 'cuda') fail('--cuda-arch (SQUILL_CUDA_ARCHS) goes with --gpu cuda', 2);
if (cudaArch !== null && !/^[0-9]+[a-z]?(-real|-virtual)?(;[0-9]+[a-z]?(-real|-virtual)?)*$|^(native|all|all-major)$/.test(cudaArch)) {
  fail(`--cuda-arch takes CUDA architectures such as 90 or 86;89 (CMAKE_CUDA_ARCHITECTURES), not ${cudaArch}`, 2);
}

const statusFile = path.join(buildRoot, 'status.json');
function writeStatus(status) {
  fs.mkdirSync(buildRoot, { recursive: true });
  fs.writeFileSync(statusFile, `${JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2)}\n`);
}
let building = null; // the variant this run builds, once known
function fail(message, code = 1) {
  console.error(`squill-trainer: ${message}`);
  // a failed build of another variant (a --gpu or --generic attempt) leaves the working engine that status.json
  // names in use, rather than marking training unavailable
  let previous = null;
  try {
    previous = JSON.parse(fs.readFileSync(statusFile, 'utf8'));
  } catch {}
  if (building !== null && previous?.available && previous.variant !== building && previous.binary && fs.existsSync(previous.binary)) {
    console.error(`squill-trainer: the ${previous.variant} engine stays in use`);
  } else {
    writeStatus({ available: false, reason: message });
  }
  process.exit(fromInstall ? 0 : code);
}
const serverStatusFile = path.join(buildRoot, 'server-status.json');
function writeServerStatus(status) {
  fs.mkdirSync(buildRoot, { recursive: true });
  fs.writeFileSync(serverStatusFile, `${JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2)}\n`);
}
const has = (cmd, versionArg = '--version') => spawnSync(cmd, [versionArg], { stdio: 'ignore' }).status === 0;
const run = (cmd, cmdArgs, opts = {}) => {
  const r = spawnSync(cmd, cmdArgs, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) fail(`${cmd} ${cmdArgs.slice(0, 3).join(' ')} … failed (exit ${r.status ?? r.signal})`);
};

// npm 11 runs a project's own bin (`npx squill` in the checkout) by installing the checkout into its npx cache as a
// link, which runs this postinstall again in the checkout: it would rebuild or re-point the engine behind the
// user's back (a native build over a --generic one, minutes of silence before the first command). npm install
// built it already; under `npm exec` there is nothing to do.
if (fromInstall && process.env.npm_command === 'exec') process.exit(0);
if (!fs.existsSync(path.join(trainerDir, 'CMakeLists.txt'))) fail('native/trainer/CMakeLists.txt is missing');
if (!has('cmake')) fail('cmake is not installed; install cmake (and a C++17 compiler) and run `npm run build:trainer`');
if (!has('c++') && !has('g++') && !has('clang++')) fail('no C++ compiler found (c++, g++ or clang++); install one and run `npm run build:trainer`');
if (!has('git')) fail('git is needed to unpack the llama.cpp source; install git and run `npm run build:trainer`');

const bundle = path.join(root, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
if (!fs.existsSync(bundle)) fail('the llama.cpp source bundle of node-llama-cpp is missing; run npm install');

// cache key: the bundle's commit, the patches, the build options
const commit = execFileSync('git', ['bundle', 'list-heads', bundle], { encoding: 'utf8' }).trim().split(/\s+/)[0];
const patches = fs.existsSync(path.join(trainerDir, 'patches'))
  ? fs.readdirSync(path.join(trainerDir, 'patches')).filter((f) => f.endsWith('.patch')).sort()
  : [];
const patchHash = crypto.createHash('sha256');
for (const p of patches) patchHash.update(p).update(fs.readFileSync(path.join(trainerDir, 'patches', p)));
const blas = !gpu && process.platform === 'linux' && ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/openblas/cblas.h', '/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h'].some((f) => fs.existsSync(f));
const variant = `${gpu ?? (blas ? 'cpu-blas' : 'cpu')}${generic ? '-generic' : ''}`;
building = variant;
const key = `${commit}:${patchHash.digest('hex').slice(0, 16)}:${variant}${cudaArch ? `:sm${cudaArch}` : ''}`;

const srcDir = path.join(buildRoot, 'llama.cpp');
const cmakeDir = path.join(buildRoot, `cmake-${variant}`);
const stampFile = path.join(cmakeDir, 'squill-stamp');
const binary = path.join(cmakeDir, process.platform === 'win32' ? 'squill-trainer.exe' : 'squill-trainer');

const sourcesHash = () => {
  const h = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === '.build' || e.name === 'patches') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(p).update(fs.readFileSync(p));
    }
  };
  walk(trainerDir);
  return h.digest('hex').slice(0, 16);
};
const fullKey = `${key}:${sourcesHash()}`;

const jobs = String(os.availableParallelism());
const serverBinary = path.join(cmakeDir, 'bin', process.platform === 'win32' ? 'llama-server.exe' : 'llama-server');
const serverStampFile = path.join(cmakeDir, 'squill-server-stamp');
// llama-server's failure is its own: the trainer stays available, the server tests say why they cannot run
function buildServer() {
  if (!withServer) return;
  if (!force && fs.existsSync(serverBinary) && fs.existsSync(serverStampFile) && fs.readFileSync(serverStampFile, 'utf8') === fullKey) {
    writeServerStatus({ available: true, binary: serverBinary, key: fullKey, cached: true });
    console.log(`llama-server: up to date at ${path.relative(root, serverBinary)}`);
    return;
  }
  const started = Date.now();
  console.log(`llama-server: building with ${jobs} jobs`);
  const r = spawnSync('cmake', ['--build', cmakeDir, '--target', 'llama-server', '--config', 'Release', '-j', jobs], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !fs.existsSync(serverBinary)) {
    const reason = `building llama-server failed (exit ${r.status ?? r.signal}); run \`npm run build:trainer -- --server\` to see why`;
    console.error(`llama-server: ${reason}`);
    writeServerStatus({ available: false, reason });
    if (!fromInstall) process.exit(1);
    return;
  }
  fs.writeFileSync(serverStampFile, fullKey);
  const buildSeconds = (Date.now() - started) / 1000;
  writeServerStatus({ available: true, binary: serverBinary, key: fullKey, cached: false, buildSeconds });
  console.log(`llama-server: built ${path.relative(root, serverBinary)} in ${buildSeconds.toFixed(0)} s`);
}

// llama.cpp's tools the benchmarks compare with, from the same patched tree and objects (cmake rebuilds them only when
// their sources or libllama/ggml changed)
function buildTools() {
  if (!args.includes('--tools')) return;
  console.log('llama-batched-bench: building');
  // its failure is its own (run() would mark the trainer unavailable)
  const r = spawnSync('cmake', ['--build', cmakeDir, '--target', 'llama-batched-bench', '--config', 'Release', '-j', jobs], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`llama-batched-bench: build failed (exit ${r.status ?? r.signal})`);
    if (!fromInstall) process.exit(1);
    return;
  }
  console.log(`llama-batched-bench: ${path.relative(root, path.join(cmakeDir, 'bin', 'llama-batched-bench'))}`);
}

if (!force && fs.existsSync(binary) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === fullKey) {
  writeStatus({ available: true, binary, variant, key: fullKey, cached: true });
  console.log(`squill-trainer: up to date (${variant}) at ${path.relative(root, binary)}`);
  buildServer();
  buildTools();
  process.exit(0);
}

const started = Date.now();
// a fresh source tree whenever the commit or the patches change
const srcStamp = path.join(buildRoot, 'llama.cpp.stamp');
if (force || !fs.existsSync(srcStamp) || fs.readFileSync(srcStamp, 'utf8') !== key.split(':').slice(0, 2).join(':')) {
  fs.rmSync(srcDir, { recursive: true, force: true });
  fs.mkdirSync(buildRoot, { recursive: true });
  console.log(`squill-trainer: unpacking llama.cpp ${commit.slice(0, 10)} and applying ${patches.length} patch(es)`);
  run('git', ['clone', '--quiet', bundle, srcDir]);
  for (const p of patches) run('git', ['-C', srcDir, 'apply', '--whitespace=nowarn', path.join(trainerDir, 'patches', p)]);
  fs.writeFileSync(srcStamp, key.split(':').slice(0, 2).join(':'));
}

const cmakeArgs = [
  '-S', trainerDir, '-B', cmakeDir,
  `-DLLAMA_SRC=${srcDir}`,
  '-DCMAKE_BUILD_TYPE=Release',
  '-DLLAMA_CURL=OFF',
  `-DGGML_BLAS=${blas ? 'ON' : 'OFF'}`,
  ...(blas ? ['-DGGML_BLAS_VENDOR=OpenBLAS'] : []),
  // GGML_NATIVE=OFF turns ggml's baseline x86 options (SSE4.2, AVX, AVX2, BMI2, FMA, F16C) on and leaves AVX-512
  // and AMX off; ON (ggml's default) compiles for this machine's CPU with -march=native
  `-DGGML_NATIVE=${generic ? 'OFF' : 'ON'}`,
  ...(gpu === 'cuda' ? ['-DGGML_CUDA=ON', ...(cudaArch ? [`-DCMAKE_CUDA_ARCHITECTURES=${cudaArch}`] : ['-UCMAKE_CUDA_ARCHITECTURES'])] : gpu === 'vulkan' ? ['-DGGML_VULKAN=ON'] : gpu === 'metal' ? ['-DGGML_METAL=ON'] : []),
];
console.log(`squill-trainer: configuring (${variant})`);
{
  // the output is echoed, and read for the CUDA failures worth their own message: a toolkit without cuBLAS (nvcc
  // alone, e.g. a compiler-only install), which ggml-cuda links and CMake reports as a missing CUDA::cublas; and
  // CMAKE_CUDA_ARCHITECTURES=native on a machine without a GPU (a build host: name the architectures); Vulkan
  // without its development files
  const r = spawnSync('cmake', cmakeArgs, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  if (r.status !== 0) {
    const out = `${r.stdout}\n${r.stderr}`;
    const why = [];
    if (gpu === 'cuda' && /CUDA::cublas|Unable to find cublas_v2\.h/.test(out)) {
      why.push('the CUDA toolkit found has no cuBLAS (cublas_v2.h and libcublas), which ggml-cuda needs: install the toolkit\'s cuBLAS development files (e.g. the libcublas-dev package of the same CUDA version)');
    }
    if (gpu === 'cuda' && /CUDA_ARCHITECTURES is set to "native", but no (NVIDIA )?GPU/i.test(out)) {
      why.push('no GPU is visible to compile for: name the architectures, e.g. `--cuda-arch 90`');
    }
    if (gpu === 'vulkan' && /Could NOT find Vulkan|glslc/i.test(out)) {
      why.push('the Vulkan development files are missing (headers, loader and the glslc shader compiler): install them (e.g. libvulkan-dev and glslc)');
    }
    if (why.length > 0) fail(`${why.join('; ')}; then run \`npm run build:trainer -- --gpu ${gpu}\` again`);
    fail(`cmake configure failed (exit ${r.status ?? r.signal})`);
  }
}
console.log(`squill-trainer: building with ${jobs} jobs`);
run('cmake', ['--build', cmakeDir, '--target', 'squill-trainer', '--config', 'Release', '-j', jobs]);
if (!fs.existsSync(binary)) fail(`the build finished but ${binary} is missing`);
fs.writeFileSync(stampFile, fullKey);
writeStatus({ available: true, binary, variant, key: fullKey, cached: false, buildSeconds: (Date.now() - started) / 1000 });
console.log(`squill-trainer: built ${path.relative(root, binary)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
buildServer();
buildTools();

"""Make Coqui TTS importable with the CPU torch wheel.

coqui-tts imports torchaudio, and torchaudio 2.9+ wants torchcodec; PyPI's wheels of both are built against CUDA and fail to
load beside the CPU torch. This installs the pinned pair without dependencies, then removes torchaudio's compiled extension
so torchaudio falls back to its pure-PyTorch code (aistudio reads and writes audio with ffmpeg, never through torchaudio).
Measured on these machines: see shared/FACTS.md, "Installing". Run it after `pip install ".[coqui]"` (or ".[dev]")."""
import importlib.util, subprocess, sys
from pathlib import Path

subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--no-deps', 'torchaudio==2.11.0', 'torchcodec==0.17.0'])
spec = importlib.util.find_spec('torchaudio')
lib = Path(next(iter(spec.submodule_search_locations))) / 'lib'
gone = [p.name for p in lib.glob('*.so')]
for p in lib.glob('*.so'): p.unlink()
print(f"torchaudio: removed {len(gone)} compiled librar{'y' if len(gone) == 1 else 'ies'} from {lib} ({', '.join(gone) or 'none left'})")

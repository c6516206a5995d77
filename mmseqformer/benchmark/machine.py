"""What a benchmark table says about the machine it ran on."""
import datetime
import platform

import torch


def cpu_name() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        with open('/proc/cpuinfo') as file:
            for line in file:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str) -> dict:
    """Date, host processor and GPU, and the versions that matter."""
    info = dict(
        date=datetime.datetime.now().astimezone().isoformat(
            timespec='seconds'),
        device=device,
        cpu=cpu_name(),
        cpu_threads=torch.get_num_threads(),
        python=platform.python_version(),
        torch=torch.__version__)
    for name in ('mmcv', 'mmengine', 'mmdet'):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    if device.startswith('cuda'):
        properties = torch.cuda.get_device_properties(device)
        info.update(
            gpu=properties.name,
            gpu_memory_gb=round(properties.total_memory / 2**30, 1),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version())
    return info

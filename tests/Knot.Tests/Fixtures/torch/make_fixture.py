#!/usr/bin/python3
"""Generates the PyTorch / safetensors interop fixtures next to this script.

Run with Debian's python3-torch (tested with torch 1.13):  /usr/bin/python3 make_fixture.py
Outputs (all tiny, committed):
  state_dict.pt       model.state_dict() of a small net + tensors that exercise strides, storage offsets,
                      shared storages, stride-0 expansion, float16/bfloat16/float64 and special floats
  nested.pt           {'epoch', 'best_acc', 'arch', 'model': {'module.*': ...}, 'optimizer': SGD state_dict}
  legacy.pt           the same small state dict in torch's legacy (non-zip) format, which Knot refuses clearly
                      (its storage keys are object ids, so this one file differs on every run)
  malicious_os.pt     torch-like zip whose data.pkl calls os.system('echo pwned > ...') via GLOBAL/REDUCE
  malicious_reduce.pt same idea built by pickle itself from an object whose __reduce__ returns os.system
                      (pickle writes it as posix.system on Linux)
  tiny.safetensors    F32/F16/BF16/F64 tensors + __metadata__, written by hand from the safetensors spec
  expected.json       for every fixture: name -> {shape, source dtype, float32 bit patterns} (+ metadata)
"""
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
PWNED_MARKER = "/tmp/knot-pwned-marker"


def bits(t):
    """float32 bit patterns (as unsigned ints) of a tensor converted to float32, row-major."""
    flat = t.detach().to(torch.float32).contiguous().reshape(-1)
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in flat.tolist()]


def describe(tensors):
    return {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""), "bits": bits(v)}
            for k, v in tensors.items()}


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.bn = torch.nn.BatchNorm2d(2)
        self.fc1 = torch.nn.Linear(4, 3)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc1(x.reshape(x.shape[0], -1)[:, :4])


def build_state_dict():
    torch.manual_seed(20260122)
    model = Tiny()
    model.train()
    model(torch.randn(3, 1, 4, 4))  # one batch: running stats move off their defaults, num_batches_tracked = 1
    sd = model.state_dict()
    base = torch.arange(20, dtype=torch.float32) / 4 - 1
    sd["extra.transposed"] = (torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5).t()  # strides (1, 4)
    sd["extra.view"] = base[5:11].view(2, 3)       # storage offset 5 into a 20-element storage
    sd["extra.view_shared"] = base[12:16]          # same storage, offset 12
    sd["extra.expanded"] = torch.tensor([1.5, -2.5]).expand(3, 2)  # stride 0 on axis 0
    sd["extra.column"] = torch.arange(12, dtype=torch.float32).reshape(4, 3)[1:, 1]  # offset 4, stride 3
    sd["extra.half"] = torch.tensor([0.1, -2.0, 65504.0, 6e-8], dtype=torch.float16)
    sd["extra.bf16"] = torch.tensor([[0.1, -3.0], [1e30, 7.0]], dtype=torch.bfloat16)
    sd["extra.double"] = torch.tensor([0.1, 1.0 / 3.0, -1e-300], dtype=torch.float64)
    sd["extra.special"] = torch.tensor([-0.0, 1e-40, float("inf"), float("-inf"), 3.4028234e38])
    sd["extra.scalar"] = torch.tensor(2.75)
    sd["extra.int32"] = torch.tensor([[1, -2], [3, 16777216]], dtype=torch.int32)
    return model, sd


def write_zip_pickle(path, archive, payload):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:  # fixed timestamps: reruns give the same bytes
        z.writestr(zipfile.ZipInfo(archive + "/data.pkl", date_time=(2020, 1, 1, 0, 0, 0)), payload)
        z.writestr(zipfile.ZipInfo(archive + "/version", date_time=(2020, 1, 1, 0, 0, 0)), "3\n")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > " + PWNED_MARKER,))


def f32_bytes(t):
    return t.contiguous().numpy().astype("<f4").tobytes()


def write_safetensors(path):
    tensors = collections.OrderedDict()
    tensors["fc.weight"] = ("F32", torch.tensor([[1.0, -2.0, 0.5], [-0.0, 1e-40, 3.25]]))
    tensors["fc.bias"] = ("F32", torch.tensor([0.125, -7.0]))
    tensors["half"] = ("F16", torch.tensor([0.1, -2.0, 65504.0, 6e-8], dtype=torch.float16))
    tensors["brain"] = ("BF16", torch.tensor([0.1, -3.0, 1e30], dtype=torch.bfloat16))
    tensors["double"] = ("F64", torch.tensor([[0.1], [1.0 / 3.0]], dtype=torch.float64))
    tensors["scalar"] = ("F32", torch.tensor(4.5))
    header = {"__metadata__": {"format": "pt", "source": "make_fixture.py"}}
    blobs, offset = [], 0
    for name, (dtype, t) in tensors.items():
        if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the top 16 bits of the float32 pattern
            raw = t.to(torch.float32).contiguous().numpy().view("<u4")
            data = (raw >> 16).astype("<u2").tobytes()
        else:
            data = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the spec allows trailing spaces; writers pad to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)
    return {k: v for k, (_, v) in tensors.items()}


def main():
    expected = {}
    model, sd = build_state_dict()
    torch.save(sd, os.path.join(HERE, "state_dict.pt"))
    expected["state_dict.pt"] = {"tensors": describe(sd)}

    torch.save(model.state_dict(), os.path.join(HERE, "legacy.pt"), _use_new_zipfile_serialization=False)

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.zero_grad()
    model(torch.randn(2, 1, 4, 4)).sum().backward()
    optimizer.step()
    wrapped = collections.OrderedDict(("module." + k, v) for k, v in model.state_dict().items())
    nested = {"epoch": 7, "best_acc": 0.91, "arch": "tiny", "model": wrapped, "optimizer": optimizer.state_dict()}
    torch.save(nested, os.path.join(HERE, "nested.pt"))
    flat = collections.OrderedDict(("model." + k, v) for k, v in wrapped.items())
    for index, state in optimizer.state_dict()["state"].items():
        flat["optimizer.state.%d.momentum_buffer" % index] = state["momentum_buffer"]
    expected["nested.pt"] = {"tensors": describe(flat),
                             "metadata": {"epoch": "7", "best_acc": "0.91", "arch": "tiny",
                                          "optimizer.param_groups.0.lr": "0.1",
                                          "optimizer.param_groups.0.momentum": "0.9",
                                          "optimizer.param_groups.0.nesterov": "false"}}

    # GLOBAL 'os system', SHORT_BINUNICODE command, TUPLE1, REDUCE, STOP — written opcode by opcode.
    command = ("echo pwned > " + PWNED_MARKER).encode()
    evil = b"\x80\x02" + b"cos\nsystem\n" + b"\x8c" + bytes([len(command)]) + command + b"\x85R."
    write_zip_pickle(os.path.join(HERE, "malicious_os.pt"), "malicious_os", evil)
    write_zip_pickle(os.path.join(HERE, "malicious_reduce.pt"), "malicious_reduce", pickle.dumps(Evil(), protocol=2))

    st = write_safetensors(os.path.join(HERE, "tiny.safetensors"))
    expected["tiny.safetensors"] = {"tensors": describe(st),
                                    "metadata": {"format": "pt", "source": "make_fixture.py"}}

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

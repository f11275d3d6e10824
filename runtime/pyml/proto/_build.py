"""Builds protobuf message classes from a serialized FileDescriptorProto.

Used by the generated grpc_predict_v2_pb2.py. Works on every protobuf runtime
from 3.21 (python package 4.21, C++ or pure-python) to the current upb-based
6.x/7.x: `message_factory.GetMessageClass` where it exists (4.22+), else
`MessageFactory.GetPrototype` (removed in newer runtimes).

The classes live in a private descriptor pool, never the default one, so a
model that imports another copy of the V2 protos (tritonclient, mlserver) does
not fail with "duplicate symbol 'inference.ModelInferRequest'".
"""

from typing import Any, Dict, Tuple

from google.protobuf import descriptor_pool, message_factory


def _message_class(factory: Any, descriptor: Any) -> Any:
    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is not None:
        return get_class(descriptor)
    return factory.GetPrototype(descriptor)


def build_messages(serialized_file: bytes, file_name: str) -> Tuple[Any, Dict[str, Any]]:
    """Returns (FileDescriptor, {full message name: class}), nested types included.

    Each nested class is also set as an attribute of its parent
    (ModelInferRequest.InferInputTensor), as protoc's own gencode does.
    """
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(serialized_file)
    file_descriptor = pool.FindFileByName(file_name)
    factory = message_factory.MessageFactory(pool)
    classes: Dict[str, Any] = {}

    def add(descriptor: Any) -> Any:
        cls = _message_class(factory, descriptor)
        classes[descriptor.full_name] = cls
        for nested in descriptor.nested_types:
            nested_cls = add(nested)
            if getattr(cls, nested.name, None) is not nested_cls:
                setattr(cls, nested.name, nested_cls)
        return cls

    for descriptor in file_descriptor.message_types_by_name.values():
        add(descriptor)
    return file_descriptor, classes

"""CodeDeploy's typed errors answer with the code and status AWS uses (botocore's model)."""
from __future__ import annotations

import gzip
import inspect
import json
import os

import botocore

from localcloud.codedeploy import exceptions
from localcloud.exceptions import ServiceError


def _model_shapes() -> dict:
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "codedeploy", "2014-10-06", "service-2.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)["shapes"]
    with gzip.open(path + ".gz") as f:
        return json.load(f)["shapes"]


def _classes():
    return [c for _, c in inspect.getmembers(exceptions, inspect.isclass)
            if issubclass(c, ServiceError) and c.__module__ == exceptions.__name__]


def test_every_class_is_an_exception_shape_of_the_model_with_its_status():
    shapes = _model_shapes()
    assert len(_classes()) >= 40
    for cls in _classes():
        shape = shapes.get(cls.__name__)
        assert shape is not None and shape.get("exception"), cls.__name__
        assert cls.http_status == shape.get("error", {}).get("httpStatusCode", 400), cls.__name__


def test_the_wire_code_is_the_class_name_and_the_message_is_kept():
    err = exceptions.DeploymentGroupDoesNotExistException("No Deployment Group found for name: g")
    assert (err.code, err.status, err.message) == ("DeploymentGroupDoesNotExistException", 400,
                                                   "No Deployment Group found for name: g")

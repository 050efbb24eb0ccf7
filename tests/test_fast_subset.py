"""The fast subset (-m "not slow") starts no Dask cluster: tests that start one are marked slow
at collection, and one that starts one anyway fails."""

from __future__ import annotations

import pytest
from dask.distributed import LocalCluster

from conftest import pytest_collection_modifyitems

pytest_plugins = ["pytester"]

SOURCE = """
import pytest
from scaling.cluster import dask_client, local_cluster

@pytest.fixture(scope="module")
def client():
    with local_cluster(n_workers=2) as cluster:
        yield cluster

@pytest.fixture
def job(client):
    return client

def test_plain():
    pass

def test_with_the_cluster_fixture(client):
    pass

def test_through_another_fixture(job):
    pass

def test_starting_its_own():
    with dask_client(n_workers=1):
        pass

@pytest.mark.slow
def test_marked():
    pass
"""


def test_tests_that_start_a_cluster_are_marked_slow(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nmarkers = slow: starts a cluster")
    items = pytester.getitems(SOURCE)
    pytest_collection_modifyitems(items)
    slow = {item.name: len(list(item.iter_markers("slow"))) for item in items}
    assert slow == {
        "test_plain": 0,
        "test_with_the_cluster_fixture": 1,
        "test_through_another_fixture": 1,
        "test_starting_its_own": 1,
        "test_marked": 1,
    }


def start_a_cluster() -> LocalCluster:
    """A cluster started out of sight of the collection's check, as a helper would."""
    return LocalCluster(n_workers=1, processes=False)


def test_a_fast_test_that_starts_a_cluster_anyway_fails():
    with pytest.raises(pytest.fail.Exception, match="starts a Dask cluster: mark it slow"):
        start_a_cluster().close()

"""Small models that the ORM probes read and write."""

from __future__ import annotations

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField("Tag", related_name="books")


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Chapter(models.Model):
    """A nullable reverse foreign key: only those give related managers remove() and clear()."""

    title = models.CharField(max_length=200)
    book = models.ForeignKey(Book, null=True, on_delete=models.SET_NULL, related_name="chapters")

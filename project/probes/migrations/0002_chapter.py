from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [("probes", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="Chapter",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200)),
                ("book", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="chapters", to="probes.Book")),
            ],
        ),
    ]

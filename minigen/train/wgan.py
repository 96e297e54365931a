"""Training a WGAN-GP (Gulrajani et al. 2017): a critic step on every batch, a generator step every n_critic.

Critic C, generator G, real batch x, fakes G(z) (detached), eps ~ U(0, 1) per image:

* critic: minimise  E[C(G(z))] - E[C(x)] + lambda * E[(||grad C(x_hat)||_2 - 1)^2]
  with x_hat = eps x + (1 - eps) G(z). The gradient of C at x_hat is taken with
  ``create_graph=True``, so that the penalty's own gradient (a second derivative)
  reaches C's weights.
* generator, once per ``n_critic`` critic steps: minimise -E[C(G(z))].

The paper's recipe: lambda = 10, n_critic = 5, Adam(lr 1e-4, betas (0, 0.9)). The
logged ``wasserstein`` = E[C(x)] - E[C(G(z))] is the critic's estimate of the
distance, the number that falls as the samples improve (a GAN's losses do not).
"""

from __future__ import annotations

from minigen import optim
from minigen.autograd import grad
from minigen.random import rand, randn
from minigen.tensor import Tensor, no_grad

from .task import Task

__all__ = ["WGANGPTask", "gradient_penalty"]


def gradient_penalty(critic, real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    """E[(||grad_x C(x_hat)||_2 - 1)^2] over the batch, x_hat = eps * real + (1 - eps) * fake (eps: (N, 1, 1, 1))."""
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty: real images of shape {real.shape} and fakes of shape {fake.shape} differ")
    mixed = (eps * real + (1 - eps) * fake).detach().requires_grad_()
    (slopes,) = grad(critic(mixed).sum(), mixed, create_graph=True)
    norms = ((slopes * slopes).reshape(slopes.shape[0], -1).sum(dim=1) + 1e-12).sqrt()  # + 1e-12: finite at 0
    return ((norms - 1) ** 2).mean()


class WGANGPTask(Task):
    """Critic steps with the gradient penalty, and a generator step every ``n_critic`` of them."""

    loss_names = ("critic_loss", "wasserstein", "gradient_penalty", "g_loss")
    panels = (("critic loss and -E[C(G(z))]", ("critic_loss", "g_loss")),
              ("Wasserstein estimate E[C(x)] - E[C(G(z))]", ("wasserstein",)),
              ("gradient penalty", ("gradient_penalty",)))  # fmt: skip
    betas = (0.0, 0.9)  # the paper's Adam betas

    def __init__(self, model, config) -> None:
        super().__init__(model, config)
        self.optimizers = {
            "generator": optim.Adam(model.generator.parameters(), lr=config.lr, betas=self.betas),
            "critic": optim.Adam(model.critic.parameters(), lr=config.lr, betas=self.betas),
        }
        self.gp_weight, self.n_critic = config.gp_weight, config.n_critic
        self.critic_steps = 0

    def train_step(self, x: Tensor, labels: Tensor | None = None) -> dict[str, Tensor]:
        generator, critic = self.model.generator, self.model.critic
        opt_g, opt_c = self.optimizers["generator"], self.optimizers["critic"]
        n = x.shape[0]
        with no_grad():
            fake = generator(randn(n, self.model.latent_dim, dtype=x.dtype, device=x.device))
        real = x.reshape(*fake.shape)
        real_score, fake_score = critic(real).mean(), critic(fake).mean()
        penalty = gradient_penalty(critic, real, fake, rand(n, 1, 1, 1, dtype=x.dtype, device=x.device))
        critic_loss = fake_score - real_score + self.gp_weight * penalty
        opt_c.zero_grad()
        critic_loss.backward()
        opt_c.step()
        self.critic_steps += 1

        if self.critic_steps % self.n_critic == 0:
            critic.requires_grad_(False)  # the generator's step needs the gradient w.r.t. the fakes only
            try:
                z = randn(n, self.model.latent_dim, dtype=x.dtype, device=x.device)
                g_loss = -critic(generator(z)).mean()
                opt_g.zero_grad()
                g_loss.backward()
                opt_g.step()
            finally:
                critic.requires_grad_(True)
        return {
            "critic_loss": critic_loss.detach(),
            "wasserstein": (real_score - fake_score).detach(),
            "gradient_penalty": penalty.detach(),
            "g_loss": -fake_score.detach(),  # -E[C(G(z))] on this step's fakes, before the critic's update
        }

    def load_optimizer_state(self, state) -> None:
        super().load_optimizer_state(state)
        steps = [s.get("step", 0) for s in self.optimizers["critic"].state_dict().get("state", {}).values()]
        self.critic_steps = int(max(steps, default=0))  # the generator keeps its rhythm across a resume
